from connector_site_cli.main import main

main()
