check tests/cli/latest.kiln
