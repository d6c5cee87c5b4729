"""What every page shares without the web stack: the plots (:mod:`.plots`), the templates'
environment and filters (:mod:`.templating`), the base templates and the stylesheet. The service
and the chain-free incentive study both draw with it."""
