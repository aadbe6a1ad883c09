# SPDX-License-Identifier: GPL-2.0-or-later
# cmake -DSCDOC=... -DIN=page.scd -DOUT=page -P scdoc.cmake: scdoc reads
# stdin and writes stdout; this names both without a shell.
execute_process(COMMAND ${SCDOC} INPUT_FILE ${IN} OUTPUT_FILE ${OUT} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  file(REMOVE ${OUT})
  message(FATAL_ERROR "scdoc failed on ${IN}")
endif()
