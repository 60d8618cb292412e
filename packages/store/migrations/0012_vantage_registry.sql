-- One vantage registry: every vantage's network type (the 2019 cuts took mobile networks down while
-- fixed lines stayed up), and AS numbers as wide as they are (32-bit, up to 4294967295, RFC 6793), which
-- a signed integer column cannot hold.

alter table vantages
  add column network_type text not null default 'unknown' check (network_type in ('mobile', 'fixed', 'unknown'));

alter table vantages alter column asn type bigint;
alter table targets alter column asn type bigint;
alter table measurements alter column asn type bigint;

alter table vantages add constraint vantages_asn_range check (asn between 0 and 4294967295);
