check tests/cli/five.kiln
