-- wrk script: POST the bytes of the file named by UPLOAD_FILE as application/octet-stream.
local f = assert(io.open(os.getenv("UPLOAD_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/octet-stream"
