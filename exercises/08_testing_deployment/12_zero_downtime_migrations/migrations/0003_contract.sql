-- Step 3: contract. Deployed once every v1 is gone; only v2 runs. Your SQL here.
SELECT 1;
