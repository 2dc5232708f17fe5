-- Question: which deals match a search on their name, account, owner or id
-- (or one deal by its id), most recent first, with the figures of their header?
-- Parameters: $search (text matched case-insensitively anywhere in the deal's
--   name, account name, owner or id; null or '' = every deal), $deal_id (one
--   deal; null = any), $max_rows (how many rows at most).
with

deals_with_accounts as (
    select *
    from filtered_deals(null, null, null)
),

matches as (
    select *
    from deals_with_accounts
    where ($deal_id is null or deal_id = $deal_id)
      and (
          coalesce($search, '') = ''
          -- contains() rather than like: a user's % or _ is a plain character
          or contains(lower(coalesce(name, '')), lower(trim($search)))
          or contains(lower(coalesce(account_name, '')), lower(trim($search)))
          or contains(lower(coalesce(owner, '')), lower(trim($search)))
          or contains(lower(deal_id), lower(trim($search)))
      )
),

final as (
    select
        deal_id,
        coalesce(name, deal_id) as deal_name,
        account_id,
        account_name,
        owner,
        outcome,
        stage,
        amount as amount_usd,
        cast(created_at as date) as created_on,
        cast(closed_at as date) as closed_on,
        days_to_close,
        dates_unknown,
        -- open deals sort by their creation
        coalesce(closed_at, created_at) as last_activity_at
    from matches
)

select * from final
order by last_activity_at desc nulls last, deal_id
limit $max_rows
