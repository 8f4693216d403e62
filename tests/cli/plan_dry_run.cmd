plan examples/csis/app.kiln --dry-run
