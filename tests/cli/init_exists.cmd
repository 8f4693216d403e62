init examples/csis/app.kiln --template plain --name csis
