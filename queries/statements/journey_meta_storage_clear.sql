-- Statement: forget the sealed storage digest of the source tables (they are being written).
-- Parameters: none.
delete from cl_meta where key = 'storage'
