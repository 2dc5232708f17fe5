-- Statement: remember which note a form submission saved.
-- Parameters: $submission_id, $note_id.
insert into note_submissions values ($submission_id, $note_id)
