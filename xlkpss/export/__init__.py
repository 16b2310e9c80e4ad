"""Open-data exports: Parquet files of the history store or of one consolidated workbook
(``parquet``) and the catalogue as an Open Referral HSDS Tabular Data Package (``hsds``)."""
