from applications.cli import main

main("dqn_cartpole")
