compile tests/fixtures/check/job_order_impossible.kiln --for helm
