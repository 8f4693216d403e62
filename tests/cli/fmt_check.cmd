fmt --check tests/cli/unformatted.kiln
