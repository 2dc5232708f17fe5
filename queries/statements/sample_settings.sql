-- Statement: record how the sample was made (seed, deals, reference date) in schema_info.
-- Parameters: $seed, $deals, $ref.
insert or replace into schema_info values
    ('sample_seed', $seed), ('sample_deals', $deals), ('sample_reference_date', $ref)
