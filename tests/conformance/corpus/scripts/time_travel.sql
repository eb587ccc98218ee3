-- Delta versions: writes, time travel, restore, UPDATE/DELETE, schema evolution.
create table tt (id int, name string) using delta;
insert into tt values (1, 'one'), (2, 'two');
insert into tt values (3, 'three');
update tt set name = upper(name) where id = 2;
delete from tt where id = 1;
select * from tt order by id;
select * from tt version as of 1 order by id;
select * from tt version as of 2 order by id;
alter table tt add columns (score double comment 'added');
alter table tt add columns note string, flag boolean;
insert into tt values (4, 'four', 4.5, 'n', true);
select * from tt order by id;
select * from tt version as of 4 order by id;
restore table tt to version as of 2;
select * from tt order by id;
