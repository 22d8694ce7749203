from ops_schedule.cli import main

main()
