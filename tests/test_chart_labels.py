"""Chart labels show keys exactly as they are in the data (issue 11): only the product's own
canonical values are prettified, and two keys are never drawn as one row."""

from __future__ import annotations

import pandas as pd
import pytest

from closedloop import charts, sample


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("ebook_download", "Ebook download"),
        ("webinar_attended", "Webinar attended"),
        ("paid_search", "Paid search"),
        ("marketing", "Marketing"),
        ("NC_EDM", "NC_EDM"),
        ("WeLearn", "WeLearn"),
        ("Google", "Google"),
        ("google", "google"),
        ("paid search 🚀", "paid search 🚀"),
        (None, "(none)"),
    ],
)
def test_only_canonical_values_are_prettified(key, shown):
    assert charts.label(key) == shown


def test_every_channel_and_type_of_the_product_is_canonical():
    assert set(sample.CHANNELS) <= set(charts.CANONICAL_CHANNELS)
    assert set(sample.TOUCHPOINT_TYPES) <= set(charts.TOUCH_TYPES)


def test_two_keys_that_would_share_a_label_keep_their_own():
    shown = charts.label_map(["ebook_download", "Ebook download", "Google", "google"])
    assert shown == {
        "ebook_download": "ebook_download",
        "Ebook download": "Ebook download",
        "Google": "Google",
        "google": "google",
    }


def _y_values(chart, field):
    spec = chart.to_dict()
    data = spec["datasets"][next(iter(spec["datasets"]))]
    return [row[field] for row in data]


def test_attribution_bars_draw_google_and_google_as_two_rows():
    rollup = pd.DataFrame(
        {
            "key": ["Google", "google", "NC_EDM", "WeLearn", "paid_social", "No touchpoint"],
            "attributed_wins": [2.0, 1.0, 0.5, 0.25, 0.25, 1.0],
        }
    )
    chart = charts.attribution_bars(rollup, "attributed_wins", "t")
    assert _y_values(chart, "key_label") == ["Google", "google", "NC_EDM", "WeLearn", "Paid social", "No touchpoint"]
    assert chart.to_dict()["encoding"]["y"]["sort"] == [
        "Google",
        "google",
        "NC_EDM",
        "WeLearn",
        "Paid social",
        "No touchpoint",
    ]


def test_lead_funnel_keeps_lead_sources_as_they_are():
    df = pd.DataFrame(
        {
            "group_key": ["Google", "google", "NC_EDM", "paid_social"],
            "mqls": [4, 3, 2, 1],
            "accepted": [2, 1, 1, 1],
            "opportunities": [1, 1, 0, 0],
            "won": [1, 0, 0, 0],
        }
    )
    chart = charts.lead_funnel(df, "source channel")
    assert chart.to_dict()["encoding"]["y"]["sort"] == ["Google", "google", "NC_EDM", "Paid social"]


def test_win_rate_lift_keeps_case():
    df = pd.DataFrame(
        {
            "key": ["Google", "google"],
            "label": ["Google", "google"],
            "win_rate_diff_pp": [10.0, -5.0],
            "low95_pp": [-20.0, -30.0],
            "high95_pp": [40.0, 20.0],
            "small_sample": [True, True],
            "win_rate_touched": [0.6, 0.4],
            "win_rate_not_touched": [0.5, 0.45],
            "deals_touched_won": [3, 2],
            "deals_touched_lost": [2, 3],
            "deals_not_touched_won": [1, 2],
            "deals_not_touched_lost": [1, 2],
        }
    )
    chart = charts.win_rate_lift(df, "channel", 10, codes=True)
    names = {row["name"] for row in chart.to_dict()["datasets"][next(iter(chart.to_dict()["datasets"]))]}
    assert names == {"Google", "google"}
