"""What comes in from outside the program, read through one door (chatbot.inputs.door): the
prompt and piped stdin, attachments (files, folders, web pages, command output), images,
schemas, templates, the key's sources, and the files uploaded to Knowledge Graphs."""
