check examples/csis/app.kiln
