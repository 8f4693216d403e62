explain K000l
