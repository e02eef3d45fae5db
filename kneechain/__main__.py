from kneechain.cli import main

main()
