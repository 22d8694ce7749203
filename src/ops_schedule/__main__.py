from ops_schedule.cli.main import main

main()
