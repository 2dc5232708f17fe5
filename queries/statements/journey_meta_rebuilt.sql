-- Statement: after an incremental rebuild, what the journey tables now hold: built up to $now,
-- from the source tables whose row digest is $fingerprint; the storage digest is dropped
-- (sealed again after the commit).
-- Parameters: $now (naive UTC), $fingerprint (queries/derived_fingerprint.sql's value).
update cl_meta set value = case key
    when 'built_at' then cast(cast($now as timestamp) as varchar)
    when 'latest_touch_at' then (select cast(max(occurred_at) as varchar) from touchpoints)
    when 'fingerprint' then $fingerprint
    else value
end
where key in ('built_at', 'latest_touch_at', 'fingerprint')
