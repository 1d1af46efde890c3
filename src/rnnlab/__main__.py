from rnnlab.cli.main import run

run()
