"""Page models: one module per dashboard page, named like its file in views/ (views/lift.py ->
closedloop.pages.lift). Each turns the common filters into the dataclass the page draws."""
