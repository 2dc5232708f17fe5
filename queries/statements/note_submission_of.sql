-- Statement: the note a form submission already saved, if any (saving it again writes nothing).
-- Parameters: $submission_id.
select note_id
from note_submissions
where submission_id = $submission_id
