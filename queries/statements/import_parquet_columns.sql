-- Statement: the columns of a Parquet file and their types.
-- Parameters: $path.
describe select * from read_parquet($path)
