# encoding: utf-8
# A tiny custom resource: reads PASS_MAX_DAYS from /etc/login.defs.

class LoginDefsHelper < Inspec.resource(1)
  name 'login_defs_helper'
  desc 'Password ageing settings from /etc/login.defs'

  def pass_max_days
    line = inspec.file('/etc/login.defs').content.to_s.lines.find { |l| l.start_with?('PASS_MAX_DAYS') }
    line ? line.split.last.to_i : nil
  end
end
