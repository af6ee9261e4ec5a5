from applications.cli import main

main("fashion_vae")
