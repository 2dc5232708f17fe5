-- Statement: the sample's review-site visits from `src` (website_visit on channel review_sites, of
-- the account, no contact; numbered TR00000001 ...).
-- Parameters: none.
insert into touchpoints
select
    printf('TR%08d', i + 1), occurred_at, account_id, null, 'marketing', 'review_sites',
    'website_visit', null, null, false
from src
