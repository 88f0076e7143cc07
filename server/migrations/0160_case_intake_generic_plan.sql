-- case_intake's one statement is a dozen CTEs over placement subqueries. PL/pgSQL caches its
-- plan, but with array arguments the plan cache keeps choosing a custom plan, so every call
-- planned the whole statement again: about 5 ms, several times the work of a group of single
-- POSTs (measured in psql: one case 7–9 ms, then 2.5–3 ms with the generic plan; 16 cases 17
-- ms, then 12 ms). The generic plan does not depend on the arrays' contents: every CTE reads
-- the arrays whole, and placement goes through the same indexes either way.
ALTER FUNCTION case_intake(text[], text[], text[], text[], text[], text[], text[], text[], text[],
                           float8[], float8[], text[], text[], text[], timestamptz[], timestamptz[], timestamptz[],
                           timestamptz[], timestamptz[], timestamptz[], text[], text[], int[], float8)
  SET plan_cache_mode = force_generic_plan;
