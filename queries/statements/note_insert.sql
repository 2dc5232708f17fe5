-- Statement: save one retro note (a team's verdict and comment on a deal or one of its touches,
-- maybe in a review); returns its note_id.
-- Parameters: $deal_id, $touchpoint_id (null: the whole deal), $team, $verdict, $text, $review_id.
insert into retro_notes (deal_id, touchpoint_id, team, verdict, text, review_id)
values ($deal_id, $touchpoint_id, $team, $verdict, $text, $review_id)
returning note_id
