from chatbot.entry import main

main()
