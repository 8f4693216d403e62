compile tests/cli/latest.kiln
