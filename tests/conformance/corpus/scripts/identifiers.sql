-- IDENTIFIER() with names, quoted names and case, in DDL, DML and queries.
create table identifier('bad') (id int, `Mixed Case` string) using delta;
create table identifier('idt') (id int, `MixedCase` string) using delta;
insert into identifier('idt') values (1, 'a'), (2, 'b');
select identifier('id'), `MixedCase` from identifier('idt') order by 1;
select mixedcase from IDT where ID = 2;
-- (Spark's session catalog refuses `quoted-name` as a table name; lakelens' catalog takes it.)
create table `quoted_Name` using delta as select * from idt;
select count(*) as n from `QUOTED_name`;
drop table identifier('quoted-name');
drop table identifier('`quoted_name`');
