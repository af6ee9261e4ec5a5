from applications.runner import main

main("dqn_cartpole")
