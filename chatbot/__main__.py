from chatbot.cli.main import main

main()
