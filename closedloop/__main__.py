from closedloop.cli import main

raise SystemExit(main())
