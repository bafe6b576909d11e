-- wrk script: POST the echo request body to the path given on the wrk command line.
wrk.method = "POST"
wrk.body = '{"input": "hello forkserve"}'
wrk.headers["Content-Type"] = "application/json"
