init target/cli-init/ --template rails --name shop --force
