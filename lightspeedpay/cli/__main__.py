"""`python -m lightspeedpay.cli <command>`: how the tests and `lightspeedpay up` start the processes."""

from lightspeedpay.cli import main

main()
