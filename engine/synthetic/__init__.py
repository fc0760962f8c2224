"""Made-up clients, never real ones: `clients` turns a shorthand profile into a valid assessment
(scenarios, coverage gaps, properties); `agency` a whole agency over two years (demos, tests,
the program benchmark)."""
