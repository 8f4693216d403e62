check --format json tests/cli/five.kiln
