from idmd.daemon import main

raise SystemExit(main())
