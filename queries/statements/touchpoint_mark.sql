-- Statement: before an import writes, the rowid from which the touchpoints it inserts are numbered.
-- Parameters: none.
select coalesce(max(rowid), -1) + 1 as mark from touchpoints
