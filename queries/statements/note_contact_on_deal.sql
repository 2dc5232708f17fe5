-- Statement: whether a contact is one of the deal's contacts (1) or not (0).
-- Parameters: $deal_id, $contact_id.
select count(*) as found
from deal_contacts
where deal_id = $deal_id and contact_id = $contact_id
