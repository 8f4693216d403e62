init target/cli-init/bad.kiln --template plain --name Shop_App
