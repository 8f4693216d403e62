check tests/cli/no-such-file.kiln
