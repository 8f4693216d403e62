compile examples/csis/app.kiln --kube-version 1.20
