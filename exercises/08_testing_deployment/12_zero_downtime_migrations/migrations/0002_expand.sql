-- Step 2: expand. Deployed while v1 runs, before v2 is rolled out; v1 and v2 then run side by
-- side. Your SQL here.
SELECT 1;
