-- A subdistrict office (街道办事处) serves one subdistrict: dispatch and whistles need to know which.
ALTER TABLE department ADD COLUMN admin_unit_id integer REFERENCES admin_unit (id) ON DELETE SET NULL;
CREATE INDEX department_admin_unit_idx ON department (admin_unit_id);
